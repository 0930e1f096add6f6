import { redactArgv } from './src/evidence/redact/argv.ts';
const cases = [['--db-pass','hunter2FAKE'],['--db_password','hunter2FAKE'],['--pwd','hunter2FAKE'],['--openai_key','sk-FAKEshort'],['--anthropic-api-key','FAKEant'],['--wandb-key','FAKEwandb0123'],['--mistral_key','FAKEm1'],['--secret-manager','aws'],['--key-metrics','ttft'],['--keyfile-format','pem'],['--text-key','text'],['--sort-key','name']];
for (const [f, v] of cases) console.log(f.padEnd(22), JSON.stringify(redactArgv(['srv', f!, v!]).argv.slice(1)));
