import { historyToJSON, historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
const h = temporal.api.history.v1.History.create({ events: [{ eventId: 1 as any, eventType: 1 }] });
const j = historyToJSON(h); console.log(j.slice(0, 100)); console.log(historyFromJSON(JSON.parse(j)).events?.length);
