// PM2 (docs/deploy.md#pm2): pm2 start deploy/ecosystem.config.cjs, from the built install.
module.exports = {
  apps: [
    {
      name: 'chronicle',
      // node runs the build itself (not npm start: npm does not pass the stop signal on).
      script: 'dist/src/main.js',
      cwd: __dirname + '/..',
      exec_mode: 'fork',
      instances: 1,
      env: {
        NODE_ENV: 'production',
        DATA_DIR: '/var/lib/chronicle',
        SHUTDOWN_TIMEOUT_MS: '8000',
      },
      // 78 (EX_CONFIG): bad configuration, refused token or intents, pending migrations: not restarted.
      stop_exit_codes: [78],
      restart_delay: 5000,
      // PM2 sends SIGKILL 1.6 s after the stop signal by default: give the bot its SHUTDOWN_TIMEOUT_MS.
      kill_timeout: 10000,
    },
  ],
};
