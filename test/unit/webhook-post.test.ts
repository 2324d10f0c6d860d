import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { internalAddress, postWebhook, webhookUrlProblem } from '../../services/webhook-post.js';

// The webhook guard against SSRF: a trader's URL must not reach the window's own network.

let server: Server;
let port: number;
const received: string[] = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(body);
      response.writeHead(request.url === '/moved' ? 302 : 204, { location: '/elsewhere' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('the webhook guard', () => {
  it('tells internal addresses from public ones, IPv4 and IPv6, mapped ones included', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.31.255.255',
      '192.168.0.10',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      '::',
      'fd00::1',
      'fe80::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
    ])
      expect(internalAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '172.32.0.1', '192.169.0.1', '2001:4860:4860::8888', 'example.com'])
      expect(internalAddress(a), a).toBe(false);
  });

  it('refuses internal literals and credentials in a URL, unless private networks are allowed', () => {
    const problem = (url: string, allow = false) => webhookUrlProblem(new URL(url), allow);
    expect(problem('http://169.254.169.254/latest/meta-data')).toMatch(
      /internal address.*PRIVATE_NETWORKS=allow/,
    );
    expect(problem('http://[::1]:8080/hook')).toMatch(/::1 is an internal address/);
    expect(problem('https://user:pw@hooks.example.com/')).toMatch(/credentials/);
    expect(problem('https://hooks.example.com/ventanilla')).toBeUndefined();
    expect(problem('http://127.0.0.1:9000/hook', true)).toBeUndefined();
  });

  it('refuses a name that resolves to an internal address when it connects, and sends nothing', async () => {
    const before = received.length;
    const refused = await postWebhook(`http://localhost:${port}/hook`, {}, Buffer.from('{"a":1}'), {
      timeoutMs: 2000,
      allowInternal: false,
    });
    expect(refused).toMatch(/localhost resolves to (127\.0\.0\.1|::1), an internal address/);
    expect(received.length).toBe(before);
  });

  it('delivers when allowed, and counts only a 2xx as taken (a redirect is not followed)', async () => {
    const options = { timeoutMs: 2000, allowInternal: true };
    expect(
      await postWebhook(`http://localhost:${port}/hook`, {}, Buffer.from('{"a":2}'), options),
    ).toBeUndefined();
    expect(received.at(-1)).toBe('{"a":2}');
    expect(await postWebhook(`http://127.0.0.1:${port}/moved`, {}, Buffer.from('{}'), options)).toBe(
      'the receiver answered 302',
    );
  });
});
