"""The explorer's routes, mounted at ``/``: record pages use the API's resource names."""

from django.contrib.sitemaps import views as sitemap_views
from django.urls import path, re_path

from . import cite, feeds, sitemaps, views
from .sitemaps import SITEMAPS

app_name = "explorer"

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("timeline/", views.timeline_page, name="timeline"),
    path("charts/", views.charts_page, name="charts"),
    path("feeds/", feeds.TrackerFeed(), name="feed"),
    path("feeds/actors/<slug:slug>/", feeds.ActorFeed(), name="feed-actor"),
    path("feeds/<str:resource>/", feeds.TypeFeed(), name="feed-type"),
    path("robots.txt", views.robots, name="robots"),
    path(
        "sitemap.xml",
        sitemap_views.index,
        {"sitemaps": SITEMAPS, "sitemap_url_name": "explorer:sitemap-section"},
        name="sitemap",
    ),
    path(
        "sitemap-<section>.xml",
        sitemaps.section_page,
        name="sitemap-section",
    ),
    path("<str:resource>/<slug:slug>/", views.record, name="record"),
    re_path(
        r"^(?P<resource>[a-z-]+)/(?P<slug>[-a-zA-Z0-9_]+)/cite\.(?P<fmt>txt|bib|json)$",
        cite.download,
        name="cite",
    ),
]
