// What a path under test forwards: the bench's scenarios reduce to these three.
export type ForwardedProtocol = 'http1' | 'h2' | 'tcp';
