"""The words of the page's larger tabs, one file per tab: what a visitor reads, in English and
Chinese (``ui.i18n.register``), kept apart from the tab's layout and events so a translator
edits one table and a tab's code stays readable."""
