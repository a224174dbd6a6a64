"""Access, above the domain apps: who sees what (scoping), the pages' checks of the role
rules, and the request middleware. The domain's models, services and selectors never
import it: import-linter checks it."""
