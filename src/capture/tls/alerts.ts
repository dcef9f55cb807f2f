// TLS alert names (RFC 8446 §6, RFC 5246 §7.2), for readable reports.

const DESCRIPTIONS: Record<number, string> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  40: 'handshake_failure',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export interface TlsAlert {
  /** 1 warning, 2 fatal (TLS 1.3 treats every alert but close_notify/user_canceled as fatal). */
  level: number;
  description: number;
  /** e.g. `close_notify`, `unknown_99`. */
  name: string;
  /** The alert travelled encrypted (and was decrypted). */
  encrypted: boolean;
}

export function alertName(description: number): string {
  return DESCRIPTIONS[description] ?? `unknown_${description}`;
}

/** Parse an alert payload (2 bytes); undefined when malformed. */
export function parseAlert(payload: Uint8Array, encrypted: boolean): TlsAlert | undefined {
  if (payload.length < 2) return undefined;
  return { level: payload[0], description: payload[1], name: alertName(payload[1]), encrypted };
}
