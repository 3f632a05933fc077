/** The test-only Prometheus text parser (it ships no types): one entry per metric family. */
declare module 'parse-prometheus-text-format' {
  export default function parse(text: string): unknown[];
}
