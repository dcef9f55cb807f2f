// Webex Contact Center names, in one place: the data centres and their hosts (api.wxcc-<dc>.cisco.com is Notifs,
// desktop.wxcc-<dc>.cisco.com the Agent Desktop). Everything that knows a WxCC host pattern asks here.
/**
 * WxCC's timers (seed step 2 and the public API): a keepalive every 4 s both ways, 16 s of silence starts recovery,
 * and the Desktop Lost Connection Recovery Timeout defaults to 50 s. Every default in Lifeline comes from here.
 */
export const WXCC_TIMERS = { keepaliveMs: 4000, silenceMs: 16_000, recoveryMs: 50_000 } as const;

export const DATA_CENTRES = ['us1', 'eu1', 'eu2', 'anz1', 'ca1', 'jp1', 'sg1', 'in1'] as const;
export type DataCentre = (typeof DATA_CENTRES)[number];

/** A known data centre (case-insensitive), lower-cased; undefined for anything else. */
export function knownDataCentre(text: string): DataCentre | undefined {
  const t = text.trim().toLowerCase();
  return (DATA_CENTRES as readonly string[]).includes(t) ? (t as DataCentre) : undefined;
}

/** The Notifs (API) host of a data centre. */
export function apiHost(dc: string): string {
  return `api.wxcc-${dc.toLowerCase()}.cisco.com`;
}

/** The Agent Desktop host of a data centre. */
export function desktopHost(dc: string): string {
  return `desktop.wxcc-${dc.toLowerCase()}.cisco.com`;
}

/** Placeholders for text that names the hosts before a data centre is known. */
export const API_HOST_PATTERN = 'api.wxcc-<dc>.cisco.com';
export const DESKTOP_HOST_PATTERN = 'desktop.wxcc-<dc>.cisco.com';

// Hosts are recognised by shape, not by the list: a data centre added after this list still counts as WxCC.
const WXCC_HOST = /^(api|desktop|notifs?)\.wxcc-([a-z]+[0-9]*)\.cisco\.com$/i;

/** The data centre named by a WxCC host (api/desktop/notifs.wxcc-<dc>.cisco.com), or undefined. */
export function wxccDataCentre(host: string): string | undefined {
  const m = WXCC_HOST.exec(host);
  return m ? m[2].toLowerCase() : undefined;
}

/** True for a WxCC API (Notifs) host, api.wxcc-<dc>.cisco.com. */
export function isWxccApiHost(host: string): boolean {
  const m = WXCC_HOST.exec(host);
  return m !== null && m[1].toLowerCase() === 'api';
}
