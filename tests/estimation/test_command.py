import json

from estimation.__main__ import main


def test_capture_history_command(tmp_path, capsys):
    f = tmp_path / "ch.csv"
    f.write_text("register;school;count\n1;0;80\n0;1;80\n1;1;20\n", encoding="utf-8")
    assert main(["capture-history", str(f), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by = {r["method"]: r for r in rows}
    assert round(by["chapman"]["point"], 2) == 484.76
    assert round(by["lincoln_petersen"]["point"], 2) == 500.0
    assert abs(by["mse_loglinear"]["point"] - 500.0) < 1e-6


def test_capture_history_command_structural_zero_and_errors(tmp_path, capsys):
    f = tmp_path / "ch.csv"
    f.write_text("R,G,B,n\n1,0,0,500\n1,1,0,100\n1,0,1,30\n1,1,1,6\n0,0,1,60\n", encoding="utf-8")
    assert main(["capture-history", str(f), "--structural-zero", "R=0&G=1"]) == 0
    out = capsys.readouterr().out
    assert "R:G" in out and "not estimable" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b,count\n1,2,5\n", encoding="utf-8")
    assert main(["capture-history", str(bad)]) == 2
    nocount = tmp_path / "nocount.csv"
    nocount.write_text("a,b,x\n1,0,5\n", encoding="utf-8")
    assert main(["capture-history", str(nocount)]) == 2
