import { createHmac, createSign, randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Consumer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { devOfficerRfc } from '../../identity/dev-holders.js';
import { SIGNATURE_HEADER } from '../../identity/jws.js';
import {
  holderFiles,
  initPki,
  issueCertificate,
  revokeCertificate,
  type HolderRequest,
  type PkiDirs,
} from '../../identity/pki.js';
import { loadSigner } from '../../identity/signing-key.js';
import type { DeadLetterRecord } from '../../schemas/types.js';
import { statusQuery } from '../../workflows/messages.js';
import { sampleAgencyDecision, sampleAmendment, sampleDeclaration, uniqueId } from '../support/fixtures.js';
import { collectTopic, waitFor, type Collected } from '../support/helpers.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';
import { TEST_PKI } from '../support/test-pki.js';

// design.md §10 on the real stack: intake and the decision bridge verify who signed every trader
// message and agency decision, against the tests' CA (test/support/test-pki.ts).

const TRADER = 'AME970512KX3'; // sampleDeclaration's trader
const OTHER_TRADER = 'OTR010101AB1';

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;
let deadLetters: { messages: Collected[]; consumer: Consumer };

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    bridge: true,
    env: {
      VENTANILLA_SIGNATURES: 'required',
      VENTANILLA_CLOSED_RETENTION: '1h',
      VENTANILLA_AGENCY_MODES: 'AGRICULTURE=queue',
    },
  });
  deadLetters = await collectTopic(pipeline.kafka, pipeline.config.topics.deadletter);
});
afterAll(async () => {
  await deadLetters?.consumer.disconnect();
  await pipeline?.stop();
});

function letterFor(declarationId: string): Promise<DeadLetterRecord> {
  return waitFor(`a dead letter for ${declarationId}`, () =>
    deadLetters.messages
      .map(({ message }) => JSON.parse(message.value!.toString()) as DeadLetterRecord)
      .find((letter) => letter.key === declarationId),
  );
}

/** Refused at intake: dead-lettered with the code, and the trader gets REJECTED with it. */
async function expectRefused(declarationId: string, code: string): Promise<DeadLetterRecord> {
  const letter = await letterFor(declarationId);
  expect(letter.reason).toBe(code);
  const told = await pipeline.waitForStatus(declarationId, 'REJECTED');
  expect(told.reasons.map((r) => r.code)).toContain(code);
  return letter;
}

describe('signed trader messages', () => {
  it('a declaration signed by its trader opens its clearance, whose audit trail records the signer', async () => {
    const declaration = sampleDeclaration();
    await pipeline.submitSigned(TRADER, [declaration]);
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    const snapshot = await waitFor('the clearance to open', async () => {
      try {
        return await handle.query(statusQuery);
      } catch {
        return undefined;
      }
    });
    const received = snapshot.audit.find((entry) => entry.type === 'received');
    expect(received?.signer).toMatchObject({ rfc: TRADER });
    expect(received?.signer?.serial).toMatch(/^[0-9a-f]+$/);
    expect(received?.signer?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('one byte of the value changed after signing → SIGNATURE_INVALID', async () => {
    const declaration = sampleDeclaration();
    await pipeline.submitSigned(TRADER, [declaration], {
      tamper: (value) => value.replace('"quantity":18000', '"quantity":18001'),
    });
    const letter = await expectRefused(declaration.declarationId, 'SIGNATURE_INVALID');
    // The dead letter keeps the original bytes and the signature header, for the record.
    expect(Buffer.from(letter.valueBase64, 'base64').toString()).toContain('"quantity":18001');
    expect(Object.keys(letter.headers)).toContain(SIGNATURE_HEADER);
  });

  it("trader B's certificate on trader A's declaration → SIGNER_MISMATCH", async () => {
    const declaration = sampleDeclaration();
    await pipeline.submitSigned(OTHER_TRADER, [declaration]);
    await expectRefused(declaration.declarationId, 'SIGNER_MISMATCH');
  });

  it('unsigned under required → SIGNATURE_MISSING', async () => {
    const declaration = sampleDeclaration();
    await pipeline.submitUnsigned(declaration);
    await expectRefused(declaration.declarationId, 'SIGNATURE_MISSING');
  });

  it('signed an hour before its record → refused', async () => {
    const declaration = sampleDeclaration();
    await pipeline.submitSigned(TRADER, [declaration], { iat: Math.floor(Date.now() / 1000) - 3600 });
    const letter = await expectRefused(declaration.declarationId, 'SIGNATURE_INVALID');
    expect(letter.errors[0]?.message).toMatch(/iat|signed/i);
  });

  it('a garbage or huge header is refused clearly, and intake goes on', async () => {
    const garbage = sampleDeclaration();
    const huge = sampleDeclaration();
    const after = sampleDeclaration();
    await pipeline.producer.send({
      topic: pipeline.config.topics.declarations,
      messages: [
        {
          key: garbage.declarationId,
          value: JSON.stringify(garbage),
          headers: { [SIGNATURE_HEADER]: 'x..y..z' },
        },
        {
          key: huge.declarationId,
          value: JSON.stringify(huge),
          headers: { [SIGNATURE_HEADER]: 'a'.repeat(200_000) },
        },
      ],
    });
    await pipeline.submitSigned(TRADER, [after]);
    await expectRefused(garbage.declarationId, 'SIGNATURE_INVALID');
    await expectRefused(huge.declarationId, 'SIGNATURE_INVALID');
    // AGRICULTURE is an officer queue here, so the signed declaration waits in review.
    await pipeline.waitForStatus(after.declarationId, 'IN_REVIEW');
  });

  it('an amendment signed by another trader → SIGNER_MISMATCH, and the clearance is told', async () => {
    const declaration = sampleDeclaration();
    await pipeline.submitSigned(TRADER, [declaration]);
    await pipeline.waitForStatus(declaration.declarationId, 'IN_REVIEW');
    const amendment = sampleAmendment({ declarationId: declaration.declarationId });
    await pipeline.submitSigned(OTHER_TRADER, [amendment]);
    const letter = await letterFor(declaration.declarationId);
    expect(letter.reason).toBe('SIGNER_MISMATCH');
    const told = await waitFor('the clearance to report the refusal', () => {
      const last = pipeline.latest(declaration.declarationId);
      return last?.reasons.some((r) => r.code === 'SIGNER_MISMATCH') ? last : undefined;
    });
    // A forged amendment does not reject the real declaration: it stays in review.
    expect(told.status).toBe('IN_REVIEW');
  });
});

describe('signed agency decisions', () => {
  it("the agency's officer decides; an officer of another agency → SIGNER_MISMATCH", async () => {
    const declaration = sampleDeclaration();
    await pipeline.submitSigned(TRADER, [declaration]);
    await pipeline.waitForStatus(declaration.declarationId, 'IN_REVIEW');
    const { declarationId } = declaration;
    /** AGRICULTURE's decision, signed by the dev officer of `agency`. */
    const decideAs = (agency: string) =>
      pipeline.submitSigned(
        devOfficerRfc(agency),
        [sampleAgencyDecision({ declarationId, agency: 'AGRICULTURE', officer: devOfficerRfc(agency) })],
        { topic: pipeline.config.topics.decisions },
      );
    await decideAs('HEALTH');
    const letter = await letterFor(declarationId);
    expect(letter.reason).toBe('SIGNER_MISMATCH');

    await decideAs('AGRICULTURE');
    await pipeline.waitForStatus(declarationId, 'CLEARED');
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declarationId));
    const snapshot = await handle.query(statusQuery);
    const decided = snapshot.audit.find(
      (entry) => entry.type === 'decision' && entry.agency === 'AGRICULTURE',
    );
    expect(decided?.signer?.rfc).toBe(devOfficerRfc('AGRICULTURE'));
  });
});

describe('VENTANILLA_SIGNATURES=optional', () => {
  it('accepts an unsigned declaration', async () => {
    const optional = await TestPipeline.start({
      workflowBundle: bundle,
      env: { VENTANILLA_SIGNATURES: 'optional', VENTANILLA_CLOSED_RETENTION: '0s' },
    });
    try {
      const declaration = sampleDeclaration({ declarationId: uniqueId('OPT') });
      await optional.submitUnsigned(declaration);
      await optional.waitForStatus(declaration.declarationId, 'CLEARED');
    } finally {
      await optional.stop();
    }
  });
});

describe('certificates intake does not accept', () => {
  const caDir = join(TEST_PKI.pkiDir, 'ca');
  /** A holder of the tests' CA (or of `ca`), kept in a folder of its own. */
  async function holder(rfc: string, extra: Partial<HolderRequest> = {}, dirs?: PkiDirs): Promise<PkiDirs> {
    const own = dirs ?? { pkiDir: mkdtempSync(join(tmpdir(), 'holder-')), trustDir: TEST_PKI.trustDir };
    await issueCertificate(own, {
      kind: 'trader',
      rfc,
      name: 'Prueba SA de CV',
      caDir: dirs ? undefined : caDir,
      ...extra,
    });
    return own;
  }
  const rfc = (prefix: string) =>
    `${prefix}010101${randomBytes(2).toString('hex').toUpperCase().slice(0, 3)}`;

  it('an expired certificate → CERTIFICATE_EXPIRED', async () => {
    const taxId = rfc('EXP');
    const dirs = await holder(taxId, {
      validFrom: new Date(Date.now() - 40 * 86_400_000),
      validTo: new Date(Date.now() - 10 * 86_400_000),
    });
    const declaration = sampleDeclaration({ trader: { taxId, name: 'Prueba SA de CV' } });
    await pipeline.submitSigned(taxId, [declaration], { pkiDir: dirs.pkiDir });
    await expectRefused(declaration.declarationId, 'CERTIFICATE_EXPIRED');
  });

  it('a revoked serial → CERTIFICATE_REVOKED, without a restart', async () => {
    const taxId = rfc('REV');
    const dirs = await holder(taxId);
    const serial = loadSigner(holderFiles(dirs, taxId)).info.serial;
    await revokeCertificate(TEST_PKI, serial);
    // The gate re-reads the trust store within seconds.
    await new Promise((resolve) => setTimeout(resolve, 6_000));
    const declaration = sampleDeclaration({ trader: { taxId, name: 'Prueba SA de CV' } });
    await pipeline.submitSigned(taxId, [declaration], { pkiDir: dirs.pkiDir });
    await expectRefused(declaration.declarationId, 'CERTIFICATE_REVOKED');
  });

  it('a CA that is not trusted → CERTIFICATE_UNTRUSTED', async () => {
    const own = mkdtempSync(join(tmpdir(), 'rogue-ca-'));
    const rogue = { pkiDir: own, trustDir: join(own, 'trust') };
    await initPki(rogue, { name: 'Rogue CA' });
    const declaration = sampleDeclaration();
    await holder(TRADER, {}, rogue);
    await pipeline.submitSigned(TRADER, [declaration], { pkiDir: own });
    await expectRefused(declaration.declarationId, 'CERTIFICATE_UNTRUSTED');
  });

  it('alg none, HS256 and a header without x5c → SIGNATURE_INVALID', async () => {
    const signer = loadSigner(holderFiles(TEST_PKI, TRADER));
    const x5c = signer.chain.map((der) => Buffer.from(der).toString('base64'));
    const iat = Math.floor(Date.now() / 1000);
    const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');
    const forged = (header: object, value: string, sign: (input: string) => string) => {
      const protectedHeader = b64(JSON.stringify(header));
      return `${protectedHeader}..${sign(`${protectedHeader}.${b64(value)}`)}`;
    };
    const cases = [
      { header: { alg: 'none', x5c, iat }, sign: () => '' },
      {
        header: { alg: 'HS256', x5c, iat },
        sign: (input: string) => createHmac('sha256', 'guess').update(input).digest('base64url'),
      },
      {
        header: { alg: 'RS256', iat },
        sign: (input: string) => createSign('sha256').update(input).sign(signer.key).toString('base64url'),
      },
    ];
    const declarations = cases.map(() => sampleDeclaration());
    await pipeline.producer.send({
      topic: pipeline.config.topics.declarations,
      messages: cases.map(({ header, sign }, i) => {
        const value = JSON.stringify(declarations[i]);
        return {
          key: declarations[i]!.declarationId,
          value,
          headers: { [SIGNATURE_HEADER]: forged(header, value, sign) },
        };
      }),
    });
    for (const declaration of declarations)
      await expectRefused(declaration.declarationId, 'SIGNATURE_INVALID');
  });
});
