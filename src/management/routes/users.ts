/** Users: GET /api/users, and GET, PUT, DELETE /api/users/:user. */
import { DEFAULT_HASHING, HASHING_ALGORITHMS, hashProblem, isHashingAlgorithm, NOT_BASE64, type User } from "../../core/index.js";
import { badRequest, notFound } from "../errors.js";
import { body, routeSchema, tags, text } from "../schemas.js";
import type { JsonObject } from "../views.js";
import { type Route, type RoutePlugin, tagList } from "./context.js";

const USER_BODY = body({
  password: text("password"),
  password_hash: { type: "string", description: "not_base64" },
  hashing_algorithm: text("hashing_algorithm"),
  tags,
});

const userJson = (u: User): JsonObject => ({
  name: u.name,
  password_hash: u.passwordHash,
  hashing_algorithm: u.hashingAlgorithm,
  tags: u.tags,
  limits: (u.limits ?? {}) as JsonObject,
});

export const usersRoutes: RoutePlugin = async (app, { api }) => {
  const { broker } = api;

  app.get("/api/users", { schema: routeSchema({}) }, async (req) => {
    api.who(req).require("administrator");
    return broker.users.list().map(userJson);
  });
  app.get<Route<"user">>("/api/users/:user", { schema: routeSchema({ params: ["user"] }) }, async (req) => {
    api.who(req).require("administrator");
    const u = broker.users.get(req.params.user);
    if (!u) throw notFound();
    return userJson(u);
  });
  app.put<Route<"user">>(
    "/api/users/:user",
    { schema: routeSchema({ params: ["user"], body: USER_BODY }), attachValidation: true },
    async (req, reply) => {
      api.who(req).require("administrator");
      const body = api.body(req);
      const name = req.params.user;
      if (body.tags === undefined) throw badRequest("tags_not_present");
      const tags = tagList(body.tags);
      const existing = broker.users.get(name);
      if (typeof body.password === "string") broker.users.add(name, body.password, tags);
      else if (typeof body.password_hash === "string") {
        const algorithm = body.hashing_algorithm ?? DEFAULT_HASHING;
        if (!isHashingAlgorithm(algorithm)) {
          throw badRequest(
            `unsupported hashing_algorithm ${JSON.stringify(algorithm)}: expected one of ${Object.keys(HASHING_ALGORITHMS).join(", ")}`,
          );
        }
        const problem = hashProblem(body.password_hash, algorithm);
        // RabbitMQ's own reason for a hash that is not base64 (rabbitmqadmin prints it)
        if (problem === NOT_BASE64) throw badRequest(["not_base64", body.password_hash]);
        if (problem !== null) throw badRequest(`${problem}`);
        broker.users.addHashed(name, body.password_hash, tags, algorithm);
      } else if (existing) {
        broker.users.addHashed(name, existing.passwordHash, tags, existing.hashingAlgorithm, existing.limits);
      } else {
        // RabbitMQ creates a user without a password: it can only log in by other means (none in Warren)
        broker.users.addHashed(name, "", tags);
      }
      return reply.code(existing ? 204 : 201).send();
    },
  );
  app.delete<Route<"user">>("/api/users/:user", { schema: routeSchema({ params: ["user"] }) }, async (req, reply) => {
    api.who(req).require("administrator");
    const name = req.params.user;
    if (!broker.users.get(name)) throw notFound();
    broker.users.delete(name);
    for (const c of broker.connections.list()) if (c.details.user === name) c.details.close(`user '${name}' was deleted`);
    return reply.code(204).send();
  });
};
