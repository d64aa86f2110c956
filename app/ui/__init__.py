"""The Streamlit chat page: `streamlit run app/ui/main.py` (or `kubewhy demo` / `kubewhy ui`)."""
