"""A `run_every` fragment's tick that meets a run in progress is dropped (ui.classroom):
it would otherwise start a new ScriptRunner and lose the end of the run before it."""

from __future__ import annotations

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.runtime.app_session import AppSession, AppSessionState

from ui import classroom


class _Session:
    """What AppSession._handle_rerun_script_request reads and calls."""

    def __init__(self, state: AppSessionState):
        self._state = state
        self.asked: list[ClientState] = []

    def request_rerun(self, client_state) -> None:
        self.asked.append(client_state)


TICK = ClientState(fragment_id="f", is_auto_rerun=True)
FRAGMENT_CLICK = ClientState(fragment_id="f")
CLICK = ClientState(query_string="lesson=variance_law&step=2")


def _handled(state: AppSessionState, client_state: ClientState) -> list[ClientState]:
    session = _Session(state)
    AppSession._handle_rerun_script_request(session, client_state)
    return session.asked


def test_a_tick_during_a_run_is_dropped():
    assert _handled(AppSessionState.APP_IS_RUNNING, TICK) == []


def test_clicks_and_ticks_between_runs_reach_the_session():
    assert _handled(AppSessionState.APP_IS_RUNNING, CLICK) == [CLICK]
    assert _handled(AppSessionState.APP_IS_RUNNING, FRAGMENT_CLICK) == [FRAGMENT_CLICK]
    assert _handled(AppSessionState.APP_NOT_RUNNING, TICK) == [TICK]


def test_installing_again_keeps_the_one_wrapper():
    installed = AppSession._handle_rerun_script_request
    classroom.drop_ticks_while_running()
    assert AppSession._handle_rerun_script_request is installed
