/** Entry of the browser bundle (`dist/sdk/gateway-client.js`): exposes `window.SocketGateway`. */
export { GatewayClient, GatewayClientError } from './index';
