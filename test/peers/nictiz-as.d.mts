// Types for test/peers/nictiz-as.mjs: the authorization side of Nictiz's test system for the PHR-side scripts.
export interface NictizAs {
  host: string;
  issuer: string;
  authorizationEndpoint: string;
  tokenEndpoint: string;
  handle(request: Request): Promise<Response>;
}

export declare function createNictizAs(options: { host: string; tokenFor: Record<string, string>; tokenTtlSeconds?: number }): NictizAs;
