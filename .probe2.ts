import { redactText } from './src/evidence/redact/text.ts';
console.log(JSON.stringify(redactText('requests_total{client_secret="Zq22FAKEhead\r\\nZq22FAKEtail",model="gpt2"} 10').text));
console.log(JSON.stringify(redactText('a{secret="x\ry"}').text));
