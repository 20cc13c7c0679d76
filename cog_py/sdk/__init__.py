"""The pieces of the public SDK: inputs, models, runner base classes, decorators."""
