// Central redaction by value: every line the tap writes passes through one Redactor, so a secret
// cannot leak through a message someone forgot to sanitise.

const MASK = '****';

// Anything shaped like a Pulumi access token is masked too, whoever's it is.
const PULUMI_TOKEN = /pul-[0-9a-f]{16,}/gi;

export class Redactor {
  private needles: string[] = [];

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Secrets become known at different times (environment first, config file later). */
  add(secret: string | undefined): void {
    // Very short values would mask ordinary text and protect nothing.
    if (!secret || secret.length < 4) return;
    const needles = new Set(this.needles);
    needles.add(secret);
    needles.add(JSON.stringify(secret).slice(1, -1));
    needles.add(encodeURIComponent(secret));
    // Longest first, so a secret that contains another is masked whole.
    this.needles = [...needles].sort((a, b) => b.length - a.length);
  }

  redact(text: string): string {
    let out = text;
    for (const needle of this.needles) {
      if (out.includes(needle)) out = out.split(needle).join(MASK);
    }
    return out.includes('pul-') ? out.replace(PULUMI_TOKEN, MASK) : out;
  }
}
