import { NetpolBed } from '/work/wt-npbed/test/testbed/netpol/bed.js'
import { CASES } from '/work/wt-npbed/test/testbed/netpol/cases.js'
import { clusterManifests } from '/work/wt-npbed/test/testbed/netpol/cluster.js'
import { Enforcer } from '/work/wt-npbed/test/testbed/netpol/enforce.js'
const bed = await NetpolBed.build('np')
try {
  const e = new Enforcer(bed)
  e.apply([...clusterManifests(), ...CASES[0].policies])
  console.log(await bed.nftCmd('list', 'ruleset'))
  try { e.apply([...clusterManifests(), ...CASES[1].policies]) } catch (err) { console.log(err.message, JSON.stringify(err, null, 1).slice(0, 3000)) }
} finally { await bed.destroy() }
