// Rule 5 of the text rules (text.ts): well-known token shapes, wherever they appear. Pure.
import { hide, type Counter } from './counter.js';

/**
 * 5. Well-known token shapes, wherever they appear, named or not. Each is anchored on its
 * literal prefix and refuses to start inside a longer word.
 */
// Each with a literal its matches must contain: a text without it skips the pattern's pass.
const SHAPES: ReadonlyArray<readonly [string, RegExp]> = [
  // Hugging Face user access tokens: "hf_" + 34 letters and digits (HF docs, "User access tokens").
  ['hf_', /(?<![A-Za-z0-9_])hf_[A-Za-z0-9]{30,}/g],
  // OpenAI (sk-…, sk-proj-…, sk-svcacct-…) and Anthropic (sk-ant-api03-…) API keys: random
  // base62/base64url, so they hold a digit and a run of 20 characters with no hyphen. A
  // hyphenated name that starts with "sk-" (a pod, `sk-inference-gateway-6d9f8b7c5-x2x9z`) has
  // neither and stays.
  ['sk-', /(?<![A-Za-z0-9_-])sk-(?=[A-Za-z0-9_-]*?[A-Za-z0-9_]{20})(?=[A-Za-z0-9_-]*[0-9])[A-Za-z0-9_-]+/g],
  // GitHub: ghp_ (classic PAT), gho_ (OAuth), ghu_/ghs_ (app user/installation), ghr_ (refresh)
  // (GitHub blog, "Behind GitHub's new authentication token formats", 2021); fine-grained PATs
  // github_pat_… (GitHub docs).
  ['gh', /(?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{30,}/g],
  ['github_pat_', /(?<![A-Za-z0-9_])github_pat_[A-Za-z0-9_]{40,}/g],
  // GitLab personal access tokens (GitLab docs, "Personal access tokens": prefix glpat-).
  ['glpat-', /(?<![A-Za-z0-9_-])glpat-[A-Za-z0-9_-]{20,}/g],
  // Slack tokens: xoxb- bot, xoxp- user, xoxa-/xoxr-/xoxs-/xoxo- (Slack API docs, "Token types").
  ['xox', /(?<![A-Za-z0-9_-])xox[abposr]-[A-Za-z0-9-]{10,}/g],
  // AWS access key ids: AKIA long-term, ASIA temporary (IAM docs, "Unique identifier prefixes").
  // Not a secret alone, but it names the account and is half of a credential pair: replaced.
  ['IA', /(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])/g],
  // JWTs (RFC 7519): base64url JSON header "eyJ…" . payload "eyJ…" . signature.
  ['eyJ', /(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g],
  // Google API keys: "AIza" + 35 characters (Google Cloud docs, "API keys"; gitleaks' gcp-api-key).
  ['AIza', /(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])/g],
  // npm access tokens: npm_ + 36 (GitHub blog, "npm access tokens", 2021).
  ['npm_', /(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])/g],
  // PyPI API tokens: macaroons that always start "pypi-AgEIcHlwaS5vcmc" (PyPI help, "API tokens").
  ['pypi-', /(?<![A-Za-z0-9_-])pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20,}/g],
  // Stripe secret and restricted keys: sk_live_, sk_test_, rk_live_ (Stripe docs, "API keys").
  ['k_', /(?<![A-Za-z0-9_])[sr]k_(?:live|test)_[A-Za-z0-9]{16,}/g],
];

/** Slack incoming webhooks: the path is the secret (Slack docs, "Sending messages using incoming webhooks"). */
const SLACK_WEBHOOK = /(hooks\.slack\.com\/services\/)[A-Za-z0-9/]+/g;

export function shapes(text: string, c: Counter): string {
  let s = text;
  for (const [literal, re] of SHAPES) if (s.includes(literal)) s = s.replace(re, () => hide(c));
  if (!s.includes('hooks.slack.com/')) return s;
  return s.replace(SLACK_WEBHOOK, (_all, prefix: string) => `${prefix}${hide(c)}`);
}
