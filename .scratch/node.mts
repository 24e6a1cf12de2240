import { NetpolBed, target } from '/work/wt-npbed/test/testbed/netpol/bed.js'
const bed = await NetpolBed.build('np')
try {
  const specs = ['x/a','y/b'].flatMap((to) => ([4, 6] as const).flatMap((f) => (['tcp', 'udp', 'sctp'] as const).map((proto) => ({ from: 'node', to: target(to as any, f), proto, port: 80 }))))
  const r = await bed.probe(specs)
  console.log(r.map(x => `${x.to} ${x.proto} ${x.outcome} ${x.errno ?? ''} ${x.detail ?? ''}`).join('\n'))
  console.log(await bed.nftCmd('list','ruleset'))
} finally { await bed.destroy() }
