"""The HTTP layer: the Falcon app, middleware, authentication, error mapping and resources."""
