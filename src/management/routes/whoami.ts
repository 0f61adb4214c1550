/** GET /api/whoami: the user the credentials name, and its tags. */
import { routeSchema } from "../schemas.js";
import type { RoutePlugin } from "./context.js";

export const whoamiRoutes: RoutePlugin = async (app, { api }) => {
  app.get("/api/whoami", { schema: routeSchema({}) }, async (req) => {
    const p = api.who(req);
    return { name: p.user.name, tags: p.user.tags };
  });
};
