import { existsSync } from 'node:fs';
import { IdentityError } from '../identity/identity-error.js';
import { holderFiles } from '../identity/pki.js';
import { loadSigner, type Signer } from '../identity/signing-key.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';

/** The options of every command that signs (design.md §9). */
export interface SigningFlags {
  cert?: string;
  key?: string;
  'password-file'?: string;
}

/**
 * Who signs (design.md §9): the certificate and key of --cert/--key when given, else the
 * development PKI's certificate of `rfc` (the trader's, or the agency's officer). The key's password
 * comes from --password-file, or from the `.password` file beside the key.
 */
export function signerFor(
  ctx: Pick<CliContext, 'config'>,
  flags: SigningFlags,
  rfc: string | undefined,
): Signer {
  const passwordFile = flags['password-file'];
  try {
    if (flags.cert || flags.key) {
      if (!flags.cert || !flags.key) {
        throw new CliError(
          '--cert and --key go together: pass both (the certificate and its private key)',
          2,
        );
      }
      return loadSigner({
        certFile: flags.cert,
        keyFile: flags.key,
        ...(passwordFile ? { passwordFile } : {}),
      });
    }
    if (!rfc) {
      throw new CliError(
        `nothing says who signs: pass --cert F --key F [--password-file F], or sign a message whose RFC has a development certificate under ${ctx.config.pkiDir}`,
        2,
      );
    }
    const files = holderFiles(ctx.config, rfc);
    if (!existsSync(files.certFile)) {
      throw new CliError(
        `no development certificate for RFC ${rfc} (${files.certFile}): create it with "ventanilla pki issue trader|officer|operator --rfc ${rfc} --name ..." (npm start makes those of examples/ and the agencies' officers), or pass --cert and --key`,
      );
    }
    return loadSigner({ ...files, ...(passwordFile ? { passwordFile } : {}) });
  } catch (error) {
    // The message already says what to do; a stack trace would only hide it.
    if (error instanceof IdentityError) throw new CliError(error.message);
    throw error;
  }
}
