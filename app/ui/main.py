"""The Streamlit entry point: `streamlit run app/ui/main.py` (what `kubewhy demo` and `kubewhy ui` run).

Pages are listed with ``st.navigation``: Chat (the default), Runbooks and History, one module each under
``app/ui/views/``. The sidebar (cluster, scope, data sources, engine, budgets) is drawn on every page.
"""

from __future__ import annotations

import streamlit as st

from app.ui import identity, runtime, shell
from app.ui.views import chat, history, runbooks

st.set_page_config(page_title="kubewhy", page_icon=":material/troubleshoot:", layout="wide")
shell.style()
identity.require_sign_in(runtime.settings())  # behind the auth proxy: only signed-in requests

PAGES = [
    st.Page(chat.render, title="Chat", icon=":material/chat:", url_path="chat", default=True),
    st.Page(runbooks.render, title="Runbooks", icon=":material/menu_book:", url_path="runbooks"),
    st.Page(history.render, title="History", icon=":material/history:", url_path="history"),
]

page = st.navigation(PAGES)
shell.build()
page.run()
