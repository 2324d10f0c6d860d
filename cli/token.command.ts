import { signBearerToken, TOKEN_MAX_LIFETIME_S } from '../identity/bearer-token.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { signerFor, type SigningFlags } from './signing-choice.js';

export const TOKEN_HELP = `Usage: ventanilla token (--rfc RFC | --cert F --key F [--password-file F]) [--json]

Prints a bearer token for the trader API (design.md §11): a JWT signed with the holder's key,
RS256 with the certificate in x5c, for audience "ventanilla", valid ${TOKEN_MAX_LIFETIME_S / 60} minutes, and
accepted ONCE (its jti). Make a new one for every request:

  curl -H "Authorization: Bearer $(npx ventanilla token --rfc ANO970512KX3)" \\
       http://127.0.0.1:8080/v1/declarations

--rfc picks the development certificate of that holder ($VENTANILLA_HOME/pki/holders/<RFC>.cer,
with the password beside the key); --cert/--key use any other certificate and key.
--json prints {token, sub, exp, jti}.`;

export async function tokenCommand(
  ctx: Pick<CliContext, 'config' | 'print'>,
  args: string[],
  flags: SigningFlags & { rfc?: string },
): Promise<void> {
  if (args.length > 0) throw new CliError(`token takes no arguments\n\n${TOKEN_HELP}`, 2);
  if (!flags.rfc && !flags.cert && !flags.key) {
    throw new CliError(
      `say whose token it is: --rfc RFC (a development certificate), or --cert F --key F\n\n${TOKEN_HELP}`,
      2,
    );
  }
  const signer = signerFor(ctx, flags, flags.rfc);
  const token = await signBearerToken(signer);
  const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as {
    sub: string;
    exp: number;
    jti: string;
  };
  ctx.print(
    { token, sub: claims.sub, exp: new Date(claims.exp * 1000).toISOString(), jti: claims.jti },
    () => token,
  );
}
