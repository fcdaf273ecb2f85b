"""One Blueprint per area of the API; ``api.app.create_app`` registers them all."""
