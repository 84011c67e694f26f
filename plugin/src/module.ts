import { DataSourcePlugin } from '@grafana/data';

import { ConfigEditor } from './components/ConfigEditor';
import { QueryEditor } from './components/QueryEditor';
import { DataSource } from './datasource';
import { AmokpiOptions, AmokpiQuery, AmokpiSecureOptions } from './types';

export const plugin = new DataSourcePlugin<DataSource, AmokpiQuery, AmokpiOptions, AmokpiSecureOptions>(DataSource)
  .setConfigEditor(ConfigEditor)
  .setQueryEditor(QueryEditor);
