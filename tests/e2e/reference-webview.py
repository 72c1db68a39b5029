#!/usr/bin/python3
"""The reference for the app's start and memory benchmarks: the least a
WebKitGTK application can do (a GTK window with a WebKit view showing one
small local page), built on the same libraries as the app. Prints
"reference-ready" once the page has loaded, then idles until killed.
Runs with Debian's python3-gi and gir1.2-webkit2-4.1."""
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import GLib, Gtk, WebKit2  # noqa: E402


def loaded(view, event):
    if event == WebKit2.LoadEvent.FINISHED:
        print("reference-ready", flush=True)


window = Gtk.Window(title="reference")
window.set_default_size(1280, 740)
view = WebKit2.WebView()
view.connect("load-changed", loaded)
window.add(view)
window.connect("destroy", Gtk.main_quit)
window.show_all()
view.load_html(
    "<!doctype html><html><body><h1>Unlock</h1><input type=password></body></html>",
    "file:///",
)
GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, 15, Gtk.main_quit)
Gtk.main()
sys.exit(0)
