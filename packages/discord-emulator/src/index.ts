export { DiscordEmulator } from './emulator';
export type { FloodOptions, FloodResult } from './flood';
export { DISCORD_EPOCH, snowflake, snowflakeTime, compareSnowflakes } from './snowflake';
export { Intents, Perm, ALL_PERMISSIONS, DEFAULT_MEMBER_PERMISSIONS, DEFAULT_BOT_PERMISSIONS } from './payloads';
export { Close as GatewayCloseCodes, Op as GatewayOp } from './gateway';
export * from './types';
export type { OverwriteInput } from './state';
export { startWebView } from './web';
export type { DataPanel, PanelField, PanelTable, WebView, WebViewOptions } from './web';
