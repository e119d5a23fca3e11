// A real OpenID Connect provider for the tests: the certified `oidc-provider` package,
// on a loopback port, configured by the test through OIDC_TEST_CONFIG (JSON):
//   {port, issuer, clients: [{client_id, client_secret, redirect_uri}], jwk, cookie_key,
//    accounts}
// `jwk` is the private signing key (the test keeps it, to forge tokens the provider's
// JWKS vouches for); `accounts` maps a login to its extra claims (e.g. groups).
// The dev interactions give the login and consent pages a browser fills in.
import Provider from "oidc-provider";

const config = JSON.parse(process.env.OIDC_TEST_CONFIG);

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    client_id: client.client_id,
    client_secret: client.client_secret,
    redirect_uris: [client.redirect_uri],
    grant_types: ["authorization_code"],
    response_types: ["code"],
    token_endpoint_auth_method: "client_secret_post",
  })),
  jwks: { keys: [config.jwk] },
  cookies: { keys: [config.cookie_key] },
  pkce: { required: () => true },
  scopes: ["openid", "email", "profile", "groups"],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
    groups: ["groups"],
  },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({
      sub: id,
      email: id,
      email_verified: true,
      name: id,
      ...(config.accounts[id] || {}),
    }),
  }),
  features: { devInteractions: { enabled: true } },
});
provider.proxy = false;
provider.listen(config.port, "127.0.0.1", () => {
  console.log(`ready ${config.issuer}`);
});
