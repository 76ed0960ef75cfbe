"""Repository adapters of the configuration database, for the API and the ACD loader.

Every function takes a Session the caller owns (one transaction per request) and raises
the typed errors of :mod:`control_plane.db.errors`. Modules: ``entities`` (tenant-scoped
CRUD specs of the plain entities, see ``ENTITIES``), ``tenancy`` (tenants, users),
``acd`` (skills, memberships, ``load_acd_config``), ``routing`` (DID routes, IVR
versions), ``crm`` (customers with phones, screen-pop lookup).
"""
