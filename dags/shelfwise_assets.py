"""Every shelfwise asset as an Airflow 3 DAG: one DAG per asset, wired by asset events.

Parsing reads the settings and the declarations only (no warehouse, no lake, no network): see
assets/airflow_render.py for what each DAG does and why it is scheduled on ANY upstream asset.
"""

from assets.airflow_render import RenderConfig, render_dags
from assets.definitions import load_graph
from infra.settings import get_settings

globals().update(render_dags(load_graph(), RenderConfig(get_settings())))
