import requests

XAPI = {"X-Experience-API-Version": "1.0.3"}
STATEMENT = {
    "actor": {"mbox": "mailto:ada@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/completed"},
    "object": {"id": "http://example.com/courses/intro"},
}


def test_a_statement_goes_in_and_comes_back(lrs):
    url, auth = f"{lrs.endpoint}/statements", lrs.auth
    [statement_id] = requests.post(url, json=STATEMENT, auth=auth, headers=XAPI).json()
    got = requests.get(url, params={"statementId": statement_id}, auth=auth, headers=XAPI)
    assert got.json()["verb"] == STATEMENT["verb"]


def test_every_test_starts_with_an_empty_lrs(lrs):
    listed = requests.get(f"{lrs.endpoint}/statements", auth=lrs.auth, headers=XAPI)
    assert listed.json()["statements"] == []
