export const TEMPLATE_DB = 'amokpi_template';
/** global-setup publishes the cluster through the environment, which jest workers inherit. */
export const ADMIN_URL_ENV = 'AMOKPI_TEST_PG_ADMIN';
