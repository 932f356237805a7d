export declare function tlsClientAuthFor(clientHostname: string, fingerprintSha256: string): { tlsClientAuth: Record<string, string> };
export declare function fingerprintInput(clientHostname: string): string;
