/** /users, /applications/@me, /gateway routes. */
import { Errors, route, type Route } from './router';

export const metaRoutes: Route[] = [
  route('GET', '/gateway', { auth: false }, (ctx) => ({ status: 200, body: { url: `ws://127.0.0.1:${ctx.core.port}/gateway` } })),

  route('GET', '/gateway/bot', {}, (ctx) => ({
    status: 200,
    body: {
      url: `ws://127.0.0.1:${ctx.core.port}/gateway`,
      shards: Math.max(ctx.core.options.shards ?? 1, ctx.core.gateway.requiredShards()),
      session_start_limit: {
        total: ctx.core.options.sessionStarts?.total ?? 1000,
        remaining: Math.max(0, (ctx.core.options.sessionStarts?.remaining ?? 1000) - ctx.core.gateway.identifies),
        reset_after: 86_400_000,
        max_concurrency: ctx.core.options.maxConcurrency ?? 1,
      },
    },
  })),

  route('GET', '/users/@me', {}, (ctx) => ({
    status: 200,
    body: { ...ctx.core.state.botUser, verified: true, mfa_enabled: false, locale: 'en-US', email: null, premium_type: 0 },
  })),

  route('GET', '/users/:user_id', {}, (ctx) => {
    const u = ctx.core.state.users.get(ctx.params.user_id);
    if (!u) throw Errors.unknownUser();
    return { status: 200, body: u };
  }),

  route('POST', '/users/@me/channels', { schema: (ctx) => ctx.core.spec.CreatePrivateChannelRequestSchema }, (ctx) => {
    const recipient = (ctx.body as { recipient_id?: string }).recipient_id;
    if (!recipient || !ctx.core.state.users.has(recipient)) throw Errors.unknownUser();
    return { status: 200, body: ctx.core.state.createDmChannel(recipient) };
  }),

  route('GET', '/users/@me/guilds', {}, (ctx) => ({
    status: 200,
    body: [...ctx.core.state.guilds.values()]
      .filter((g) => g.members.has(ctx.core.state.botUser.id))
      .map((g) => ({ id: g.id, name: g.name, icon: null, banner: null, owner: false, permissions: ctx.core.state.memberPermissions(g.id, ctx.core.state.botUser.id).toString(), features: [] })),
  })),

  route('GET', '/applications/@me', {}, (ctx) => {
    const { state } = ctx.core;
    return {
      status: 200,
      body: {
        id: state.applicationId,
        name: state.botUser.username,
        icon: null,
        description: '',
        summary: '',
        type: null,
        is_monetized: false,
        is_verified: false,
        is_discoverable: false,
        bot_public: true,
        bot_require_code_grant: false,
        bot: state.botUser,
        verify_key: '0'.repeat(64),
        flags: 0,
        hook: true,
        storefront_available: false,
        redirect_uris: [],
        interactions_endpoint_url: null,
        role_connections_verification_url: null,
        event_webhooks_url: null,
        event_webhooks_status: 1,
        owner: { id: '0', username: 'owner', discriminator: '0', global_name: null, avatar: null, public_flags: 0, flags: 0 },
        team: null,
        approximate_guild_count: state.guilds.size,
        approximate_user_install_count: 0,
        integration_types_config: { '0': {} },
        tags: [],
      },
    };
  }),
];
