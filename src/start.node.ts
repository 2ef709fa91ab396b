/** Entry of `npm start` (bundled by bin/bundled.js): the built app and the proxy on one port. */
import { runServer } from './serve';

await runServer();
