// PEM (RFC 7468) in and out: everything weft writes is PEM so openssl and step read it as is.

export const PEM_LABEL = {
  certificate: 'CERTIFICATE',
  csr: 'CERTIFICATE REQUEST',
  publicKey: 'PUBLIC KEY',
} as const;

export function toPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/** The DER of every `label` block in `text`, in order; other blocks and text around them are ignored. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const pattern = new RegExp(`-----BEGIN ${label}-----([A-Za-z0-9+/=\\s]*?)-----END ${label}-----`, 'g');
  return [...text.matchAll(pattern)].map((m) => Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}
