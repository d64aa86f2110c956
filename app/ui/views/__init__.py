"""The app's pages (views), one module each, each with a ``render()`` that ``st.navigation`` runs."""
