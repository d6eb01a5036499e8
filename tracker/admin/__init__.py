"""The editors' admin: every record type, with the columns, filters and inlines editors work with.

Saving goes through :func:`tracker.services.record_save` (the same write path
the API uses), and every changelist loads what it shows with the models'
named prefetching querysets.

Every record's admin is a reversion ``VersionAdmin``: its History page lists
each save with who, when and what changed, any version can be reverted to
(record and links together), and deleted records can be recovered with their
links. The change form carries the version the editor opened; a save over
someone else's newer save is refused with a message saying what they changed.

Modules: ``base`` (what every record's admin shares: scalable changelists,
the versioned form, the write path), ``saving`` (a record and its inlines'
rows saved by one ``record_save``), ``revert`` (the revert and recover pages
on that path), ``citations`` (citation inlines and the citations list, its
page versioned too), ``rows`` (the reported values and status updates
inlines), ``pickers`` (the autocomplete boxes: ranked, labelled options),
``records`` (one admin per record type), ``compare`` (two versions compared,
revision comments), ``references`` (what refers to a record, on its change
page), ``changes`` (recent changes of every record, admin and API alike),
``publication`` (the status column, buttons and review list), ``imports``
(the import page), and the small parts: ``dates``, ``filters``, ``columns``,
``widgets``, ``duplicates``.
"""

from django.contrib import admin

from .. import history

# Before any VersionAdmin registers a model with reversion's defaults: the
# records and link rows follow each other as tracker.history declares.
history.register_models()

from django.utils.module_loading import import_string  # noqa: E402

from .. import registry  # noqa: E402
from . import citations, pickers, records  # noqa: E402, F401  (registers the support tables' admins)

for record_type in registry.RECORD_TYPES:
    admin.site.register(record_type.model, import_string(record_type.admin))

# Pickers' options ranked by name and labelled (see tracker.admin.pickers).
admin.site.autocomplete_view = pickers.autocomplete_view

admin.site.site_header = "Sino-Russian Military Cooperation Tracker"
admin.site.site_title = "Sino-Russian tracker"
admin.site.index_title = "Records"
# The home page links to Recent changes (tracker.admin.changes).
admin.site.index_template = "admin/tracker/index.html"
