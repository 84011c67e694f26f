import pgPromise from 'pg-promise';

/** The one pg-promise instance of the process (pg-promise warns when initialised twice). */
export const pgp = pgPromise({ capSQL: true });

// Counts and amounts fit comfortably in a double; KPI code wants numbers, not strings.
pgp.pg.types.setTypeParser(20, (v: string) => Number(v)); // int8
pgp.pg.types.setTypeParser(1700, (v: string) => Number(v)); // numeric

export type Db = pgPromise.IDatabase<unknown>;
export type Tx = pgPromise.ITask<unknown>;
