// weft's certificate library: pure functions, PEM in and out, ECDSA P-256 throughout.
export { CertificateInputError, IssuerExpiredError } from './errors';
export { generateKeyPair, type KeyPairPem } from './keys';
export {
  ANCHOR_VALIDITY_MS,
  ISSUER_VALIDITY_MS,
  createTrustAnchor,
  createIssuer,
  loadAuthority,
  type Authority,
  type CertifiedKey,
} from './certificate';
export { assertCanSign, namesOf, issueLeaf, issueLeafForCsr, type IssuedLeaf, type WorkloadIdentity } from './leaf';
export { createCsr, parseCsr, namesBeyond, type ParsedCsr } from './csr';
export { verifyChain, type VerifyResult } from './verify';
export { certificateExpiry, summarizeCertificates, type CertificateSummary, type Expiry } from './inspect';
export { parseCertificates, trustDomainOf, type ParsedCertificate } from './parse';
export { createServingCertificate, serviceServerName, serviceServingCertificate, SERVING_VALIDITY_MS, type ServiceCertificateOptions, type ServingCertificate, type ServingOptions } from './serving';
