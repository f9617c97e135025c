"""Library calls show no third-party progress bar: :func:`brandfit._progress.no_third_party_bars` turns
transformers' (and huggingface_hub's) bars off for a block and puts them back as they were."""

from __future__ import annotations

import threading

import pytest

hf_logging = pytest.importorskip("transformers.utils.logging")
hub_utils = pytest.importorskip("huggingface_hub.utils")


@pytest.fixture()
def bars_on():
    was_on, hub_was_off = hf_logging.is_progress_bar_enabled(), hub_utils.are_progress_bars_disabled()
    hf_logging.enable_progress_bar()
    yield
    (hf_logging.enable_progress_bar if was_on else hf_logging.disable_progress_bar)()
    (hub_utils.disable_progress_bars if hub_was_off else hub_utils.enable_progress_bars)()


def _transformers_bar_shows(capfd) -> bool:
    capfd.readouterr()
    for _ in hf_logging.tqdm(range(3), desc="Loading weights"):
        pass
    return "Loading weights" in capfd.readouterr().err


def test_transformers_bars_are_off_inside_and_back_after_nested_blocks(bars_on, capfd):
    from brandfit._progress import no_third_party_bars

    assert _transformers_bar_shows(capfd)  # the bar transformers draws while loading weights, on by default
    with no_third_party_bars():
        assert not hf_logging.is_progress_bar_enabled() and hub_utils.are_progress_bars_disabled()
        assert not _transformers_bar_shows(capfd)
        with no_third_party_bars():
            assert not _transformers_bar_shows(capfd)
        assert not hf_logging.is_progress_bar_enabled()  # the outer block is still open
    assert hf_logging.is_progress_bar_enabled() and not hub_utils.are_progress_bars_disabled()
    assert _transformers_bar_shows(capfd)


def test_bars_turned_off_by_the_user_stay_off(bars_on):
    from brandfit._progress import no_third_party_bars

    hf_logging.disable_progress_bar()
    with no_third_party_bars():
        pass
    assert not hf_logging.is_progress_bar_enabled() and hub_utils.are_progress_bars_disabled()
    hf_logging.enable_progress_bar()
    hub_utils.disable_progress_bars()  # huggingface_hub's off on its own, transformers' on
    with no_third_party_bars():
        pass
    assert hf_logging.is_progress_bar_enabled() and hub_utils.are_progress_bars_disabled()


def test_concurrent_blocks_restore_only_when_the_last_ends(bars_on):
    from brandfit._progress import no_third_party_bars

    entered, release = threading.Event(), threading.Event()

    def other() -> None:
        with no_third_party_bars():
            entered.set()
            release.wait(10)

    t = threading.Thread(target=other)
    t.start()
    assert entered.wait(10)
    with no_third_party_bars():
        pass
    assert not hf_logging.is_progress_bar_enabled()  # the other thread is still loading
    release.set()
    t.join(10)
    assert hf_logging.is_progress_bar_enabled()
