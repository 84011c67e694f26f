// Payloads shaped exactly like shared/KPI.md's HTTP contract, with hand-picked numbers.
export const status = {
  streams: [
    { stream: 'leads', startedAt: '2026-03-15T11:50:00+03:00', finishedAt: '2026-03-15T11:53:00+03:00', rows: 120, requests: 3, error: null },
    { stream: 'events', startedAt: '2026-03-15T11:50:00+03:00', finishedAt: null, rows: 0, requests: 1, error: 'amoCRM answered 502' },
  ],
  lagSeconds: 420,
  timezone: 'Europe/Moscow',
  currency: 'RUB',
};

export const managersKpi = {
  date: '2026-03-15',
  periodStart: '2026-03-01T00:00:00+03:00',
  asOf: '2026-03-16T00:00:00+03:00',
  timezone: 'Europe/Moscow',
  currency: 'RUB',
  bands: { red: 70, green: 90 },
  rows: [
    { managerId: 11, managerName: 'Анна', planAmount: 1000000, wonAmount: 950000, wonCount: 4, completionPct: 95, band: 'green', planRemainder: 50000, openTasks: 7, overdueTasks: 2, leadsWithoutTasks: 1 },
    { managerId: 12, managerName: 'Борис', planAmount: null, wonAmount: 120000, wonCount: 1, completionPct: null, band: null, planRemainder: null, openTasks: 3, overdueTasks: 0, leadsWithoutTasks: 5 },
    { managerId: 13, managerName: 'Вера', planAmount: 500000, wonAmount: 250000, wonCount: 2, completionPct: 50, band: 'red', planRemainder: 250000, openTasks: null, overdueTasks: null, leadsWithoutTasks: null },
  ],
};

export const activity = {
  timezone: 'Europe/Moscow',
  messageMinutes: 0.5,
  rows: [
    { date: '2026-03-01', managerId: 11, managerName: 'Анна', callMinutes: 12.5, messages: 4, activityMinutes: 14.5 },
    { date: '2026-03-01', managerId: 12, managerName: 'Борис', callMinutes: 0, messages: 0, activityMinutes: 0 },
    { date: '2026-03-02', managerId: 11, managerName: 'Анна', callMinutes: 3, messages: 2, activityMinutes: 4 },
  ],
};

export const staleDeals = {
  asOf: '2026-03-15T12:00:00+03:00',
  rows: [
    { leadId: 501, leadName: 'Окна для школы', managerId: 11, managerName: 'Анна', pipelineId: 7, pipelineName: 'Продажи', statusId: 70, statusName: 'Переговоры', price: 300000, daysInStatus: 21, enteredAt: '2026-02-22T10:00:00+03:00', url: 'https://agency.amocrm.ru/leads/detail/501' },
    { leadId: 502, leadName: 'Двери', managerId: 12, managerName: 'Борис', pipelineId: 7, pipelineName: 'Продажи', statusId: 71, statusName: 'Счёт', price: 45000, daysInStatus: 9, enteredAt: '2026-03-06T09:00:00+03:00', url: 'https://agency.amocrm.ru/leads/detail/502' },
  ],
};

export const department = {
  current: { date: '2026-03-31', asOf: '2026-04-01T00:00:00+03:00', wonAmount: 1200000, wonCount: 6, avgWonAmount: 200000, inProgressAmount: 3000000, inProgressCount: 20, planAmount: 1500000, planRemainder: 300000 },
  previous: { date: '2026-02-28', asOf: '2026-03-01T00:00:00+03:00', wonAmount: 800000, wonCount: 5, avgWonAmount: 160000, inProgressAmount: 2500000, inProgressCount: 18, planAmount: 0, planRemainder: 0 },
  change: {
    wonAmount: { abs: 400000, pct: 50 },
    wonCount: { abs: 1, pct: 20 },
    avgWonAmount: { abs: 40000, pct: 25 },
    inProgressAmount: { abs: 500000, pct: 20 },
    inProgressCount: { abs: 2, pct: 11.1 },
    planAmount: { abs: 1500000, pct: null },
    planRemainder: { abs: 300000, pct: null },
  },
};

export const managers = [
  { id: 11, name: 'Анна', isActive: true },
  { id: 12, name: 'Борис', isActive: true },
  { id: 13, name: 'Вера', isActive: false },
];

export const pipelines = [
  { id: 7, name: 'Продажи', statuses: [{ id: 70, name: 'Переговоры', type: 0 }] },
  { id: 8, name: 'Тендеры', statuses: [] },
];
