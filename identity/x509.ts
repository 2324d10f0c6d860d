// @peculiar/x509 finds its algorithms through tsyringe, which refuses to load without the Reflect
// metadata API: that polyfill must be evaluated first, so identity/ imports @peculiar/x509 only
// from this module (ES modules evaluate their imports in order).
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

// Node's own WebCrypto, explicitly: the library would otherwise look for globalThis.crypto.
x509.cryptoProvider.set(webcrypto);

export { x509 };
