import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';

// Webhooks are URLs that traders choose, called from inside the window's network: without a
// guard, a trader could make the notifier POST to the window's own services, to its cloud's
// metadata endpoint (169.254.169.254) or to anything else only reachable from inside (SSRF).
// VENTANILLA_WEBHOOK_PRIVATE_NETWORKS=allow lifts the guard, for development and tests.

/** Loopback, private, link-local, shared, reserved and multicast ranges (RFC 6890 and 4193). */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  INTERNAL.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 127], // unspecified and loopback
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  INTERNAL.addSubnet(network, prefix, 'ipv6');

/**
 * IPv6 addresses that carry an IPv4 one (mapped, NAT64), in the canonical form that URL and DNS
 * give: refused whatever they carry, since no receiver needs them. (A BlockList rule for them
 * would match every IPv4 address too: it checks IPv4 addresses against IPv6 rules as mapped.)
 */
const CARRIES_IPV4 = /^(::ffff:|64:ff9b::)/i;

/** True for an IP address a webhook may not reach unless private networks are allowed. */
export function internalAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 6 && CARRIES_IPV4.test(address)) return true;
  return family !== 0 && INTERNAL.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/** What makes a URL unusable as a webhook without resolving its name; undefined when nothing does. */
export function webhookUrlProblem(url: URL, allowInternal: boolean): string | undefined {
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${url.protocol} is not http: or https:`;
  if (url.username || url.password) return 'holds credentials; put them in the secret instead';
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!allowInternal && internalAddress(host)) {
    return (
      `${host} is an internal address, which webhooks may not reach ` +
      '(VENTANILLA_WEBHOOK_PRIVATE_NETWORKS=allow lifts this, for development)'
    );
  }
  return undefined;
}

/**
 * Name resolution for the notifier's connections: an internal address is refused when the
 * connection is made, so a name that resolves elsewhere after a check cannot reach one.
 */
function guardedLookup(allowInternal: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      const internal = error ? undefined : addresses.find((a) => internalAddress(a.address));
      const refusal =
        internal && !allowInternal
          ? new Error(
              `${hostname} resolves to ${internal.address}, an internal address, which webhooks may not reach`,
            )
          : undefined;
      const failure = error ?? refusal;
      if (failure) return callback(failure, '', 0);
      if (options.all) return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
      callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * POSTs a webhook body; undefined when the receiver acknowledged (2xx), else what went wrong.
 * Redirects are not followed: a receiver that answers 3xx has not taken the event.
 */
export function postWebhook(
  target: string,
  headers: Record<string, string>,
  body: Buffer,
  options: { timeoutMs: number; allowInternal: boolean },
): Promise<string | undefined> {
  const url = new URL(target);
  const problem = webhookUrlProblem(url, options.allowInternal);
  if (problem) return Promise.resolve(`the endpoint is refused: ${problem}`);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(body.length) },
        lookup: guardedLookup(options.allowInternal),
        signal: AbortSignal.timeout(options.timeoutMs),
      },
      (response) => {
        response.resume();
        const status = response.statusCode ?? 0;
        resolve(status >= 200 && status < 300 ? undefined : `the receiver answered ${status}`);
      },
    );
    outgoing.on('error', (error) => resolve(`the receiver could not be reached: ${error.message}`));
    outgoing.end(body);
  });
}
