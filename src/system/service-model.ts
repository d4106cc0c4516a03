// Model of what a Win32 service does that a SYSTEM hive does not say: which driver it loads with
// NtLoadDriver when it starts and which device it then opens. machine.yaml may state it per service
// (`Driver:`, `Device:`); a real hive never does, so the known services of NT 3.51 get it from here.
// Source: nt351-facts.md, the founding case (the Server service loads srv.sys, then opens
// \Device\LanmanServer) and the Workstation service's redirector (rdr.sys).

const MODEL: Record<string, { driver: string; device: string | null }> = {
  lanmanserver: { driver: 'Srv', device: '\\Device\\LanmanServer' },
  lanmanworkstation: { driver: 'Rdr', device: null },
};

/** The driver and device a Win32 service named `name` uses, or null when nt351 models none. */
export function serviceModel(name: string): { driver: string; device: string | null } | null {
  return MODEL[name.toLowerCase()] ?? null;
}
