// The cipher suites this module can decrypt, and names for the ones it can only recognise. Only AEAD suites are
// decryptable: that covers every TLS 1.3 suite browsers offer and every TLS 1.2 suite a modern server negotiates.

/** Node's cipher name for an AEAD algorithm. */
export type AeadName = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
/** Node's digest name for the suite's PRF/HKDF hash. */
export type HashName = 'sha256' | 'sha384';

export interface CipherSuite {
  id: number;
  /** IANA name, e.g. `TLS_AES_128_GCM_SHA256`. */
  name: string;
  /** 0x0304 for TLS 1.3 suites, 0x0303 for TLS 1.2 suites. */
  version: 0x0303 | 0x0304;
  aead: AeadName;
  hash: HashName;
  keyLen: number;
  /** TLS 1.2: fixed_iv_length from the key block (4 for GCM, 12 for ChaCha20). TLS 1.3: always 12. */
  ivLen: number;
  /** TLS 1.2 GCM carries an 8-byte explicit nonce at the start of each record body. */
  explicitNonceLen: number;
}

function s(id: number, name: string, version: 0x0303 | 0x0304, aead: AeadName, hash: HashName): [number, CipherSuite] {
  const keyLen = aead === 'aes-128-gcm' ? 16 : 32;
  const gcm12 = version === 0x0303 && aead !== 'chacha20-poly1305';
  return [id, { id, name, version, aead, hash, keyLen, ivLen: gcm12 ? 4 : 12, explicitNonceLen: gcm12 ? 8 : 0 }];
}

const SUITES = new Map<number, CipherSuite>([
  s(0x1301, 'TLS_AES_128_GCM_SHA256', 0x0304, 'aes-128-gcm', 'sha256'),
  s(0x1302, 'TLS_AES_256_GCM_SHA384', 0x0304, 'aes-256-gcm', 'sha384'),
  s(0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 0x0304, 'chacha20-poly1305', 'sha256'),
  s(0x009c, 'TLS_RSA_WITH_AES_128_GCM_SHA256', 0x0303, 'aes-128-gcm', 'sha256'),
  s(0x009d, 'TLS_RSA_WITH_AES_256_GCM_SHA384', 0x0303, 'aes-256-gcm', 'sha384'),
  s(0x009e, 'TLS_DHE_RSA_WITH_AES_128_GCM_SHA256', 0x0303, 'aes-128-gcm', 'sha256'),
  s(0x009f, 'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384', 0x0303, 'aes-256-gcm', 'sha384'),
  s(0xc02b, 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 0x0303, 'aes-128-gcm', 'sha256'),
  s(0xc02c, 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 0x0303, 'aes-256-gcm', 'sha384'),
  s(0xc02f, 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 0x0303, 'aes-128-gcm', 'sha256'),
  s(0xc030, 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 0x0303, 'aes-256-gcm', 'sha384'),
  s(0xcca8, 'TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 0x0303, 'chacha20-poly1305', 'sha256'),
  s(0xcca9, 'TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256', 0x0303, 'chacha20-poly1305', 'sha256'),
  s(0xccaa, 'TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256', 0x0303, 'chacha20-poly1305', 'sha256'),
]);

/** Well-known suites we recognise but cannot decrypt (CBC, CCM), so reports can name them. */
const KNOWN_UNSUPPORTED: Record<number, string> = {
  4868: 'TLS_AES_128_CCM_SHA256',
  4869: 'TLS_AES_128_CCM_8_SHA256',
  47: 'TLS_RSA_WITH_AES_128_CBC_SHA',
  53: 'TLS_RSA_WITH_AES_256_CBC_SHA',
  60: 'TLS_RSA_WITH_AES_128_CBC_SHA256',
  61: 'TLS_RSA_WITH_AES_256_CBC_SHA256',
  49161: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA',
  49162: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA',
  49171: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA',
  49172: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA',
  49187: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256',
  49188: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384',
  49191: 'TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256',
  49192: 'TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384',
};

/** The decryptable suite with this id, or undefined. */
export function cipherSuite(id: number): CipherSuite | undefined {
  return SUITES.get(id);
}

/** A readable name for any suite id: the IANA name when known, else `0xNNNN`. */
export function cipherSuiteName(id: number): string {
  return SUITES.get(id)?.name ?? KNOWN_UNSUPPORTED[id] ?? `0x${id.toString(16).padStart(4, '0')}`;
}

/** Ids of every decryptable suite (for tests and docs). */
export function supportedCipherSuites(): number[] {
  return [...SUITES.keys()];
}
