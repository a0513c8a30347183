"""Bundled sample datasets (no download needed): scikit-learn's and plotly's own copies, plus a
generated customer-churn table with categories and missing values."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pandas are imported when a sample is made: the landing page
    import pandas as pd  # does not need them (a cold start draws it sooner)


@dataclass(frozen=True)
class Sample:
    key: str
    title: str
    target: str
    description: str
    loader: Callable[[], pd.DataFrame]
    image_shape: tuple | None = None  # (height, width, channels) when the rows are pictures
    sequence: dict | None = None  # data.sequence when the rows are time series
    text: dict | None = None      # data.text when a text column is the input

    def load(self) -> pd.DataFrame:
        return self.loader()


def _sk(name: str, label_map=None) -> Callable[[], pd.DataFrame]:
    def f():
        import sklearn.datasets as d
        b = getattr(d, f"load_{name}")(as_frame=True)
        df = b.frame.copy()
        if label_map is not None:
            names = list(b.target_names)
            df["target"] = df["target"].map(lambda i: names[int(i)])
            df = df.rename(columns={"target": label_map})
        return df
    return f


def _px(name: str) -> Callable[[], pd.DataFrame]:
    def f():
        import plotly.express as px
        return getattr(px.data, name)()
    return f


def churn(n: int = 1200, seed: int = 7) -> pd.DataFrame:
    """A synthetic customer table: numbers, categories, a date, missing values, a yes/no target."""
    import pandas as pd
    import numpy as np
    rng = np.random.default_rng(seed)
    tenure = rng.integers(1, 72, n)
    plan = rng.choice(["basic", "standard", "premium"], n, p=[0.5, 0.3, 0.2])
    region = rng.choice(["north", "south", "east", "west"], n)
    monthly = np.round(20 + 30 * (plan == "standard") + 60 * (plan == "premium")
                       + rng.normal(0, 8, n), 2)
    calls = rng.poisson(1.5, n)
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    logit = -1.2 - 0.05 * tenure + 0.6 * calls + 0.015 * monthly - 0.8 * (plan == "premium")
    churned = rng.random(n) < 1 / (1 + np.exp(-logit))
    df = pd.DataFrame({"customer_id": [f"C{100000 + i}" for i in range(n)], "tenure_months": tenure,
                       "plan": plan, "region": region, "monthly_charge": monthly,
                       "support_calls": calls, "signup_date": start.strftime("%Y-%m-%d"),
                       "churned": np.where(churned, "yes", "no")})
    for col, frac in (("monthly_charge", 0.06), ("region", 0.08), ("support_calls", 0.04)):
        df.loc[rng.random(n) < frac, col] = np.nan
    return df


def digits() -> pd.DataFrame:
    """scikit-learn's 1,797 handwritten digits: 8×8 grey pictures as 64 pixel columns
    (px_0 … px_63, row by row, 0–255) and the digit."""
    import pandas as pd
    import numpy as np
    import sklearn.datasets as d
    b = d.load_digits()
    px = np.clip(np.rint(b.data * 255 / 16), 0, 255).astype(np.uint8)
    df = pd.DataFrame(px, columns=[f"px_{i}" for i in range(px.shape[1])])
    df["digit"] = b.target.astype(str)
    return df


def store_sales(days: int = 730, seed: int = 3) -> pd.DataFrame:
    """Daily sales of three stores over two years (generated): a trend, a weekly and a yearly
    cycle, promotions, the temperature, and noise; predict tomorrow's sales."""
    import pandas as pd
    import numpy as np
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-02", periods=days, freq="D")
    t = np.arange(days)
    frames = []
    for store, base, weekly_amp in (("north", 200.0, 40.0), ("centre", 320.0, 70.0),
                                    ("south", 150.0, 25.0)):
        temp = 14 + 9 * np.sin(2 * np.pi * (t - 100) / 365.25) + rng.normal(0, 2.5, days)
        promo = (rng.random(days) < 0.08).astype(int)
        weekday = dates.dayofweek.to_numpy()
        weekly = weekly_amp * np.select([weekday == 5, weekday == 6, weekday == 0],
                                        [1.0, 0.6, -0.6], -0.2)
        season = 0.15 * base * np.sin(2 * np.pi * (t - 150) / 365.25)
        noise = np.zeros(days)
        for i in range(1, days):  # autocorrelated noise: yesterday says something
            noise[i] = 0.6 * noise[i - 1] + rng.normal(0, 0.05 * base)
        sales = base + 0.08 * t + weekly + season + 0.25 * base * promo + 1.5 * (temp - 14) + noise
        frames.append(pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "store": store,
                                    "temperature": np.round(temp, 1), "promo": promo,
                                    "sales": np.round(sales, 1)}))
    return pd.concat(frames, ignore_index=True)


_TOPICS = {
    "sport": "match team goal season coach league player score win final stadium fans "
             "referee transfer striker defence tournament medal race champion".split(),
    "tech": "software phone app update battery chip laptop screen startup cloud data "
            "security network code robot device launch browser privacy server".split(),
    "food": "recipe restaurant chef taste dinner sauce bread cheese menu kitchen flavour "
            "dessert coffee spicy vegan bakery soup lunch fresh wine".split(),
    "travel": "flight hotel beach city trip museum train island tour passport luggage "
              "holiday airport guide mountain booking view ferry road map".split(),
}
_COMMON = ("the a an and of to in is it for on with this that was very new best most really "
           "our my today week people just about more").split()


def news_headlines(n: int = 2400, seed: int = 11) -> pd.DataFrame:
    """Short generated news snippets in four topics (sport, tech, food, travel). Each mixes
    topic words with common words and words of other topics, so the task is not trivial."""
    import pandas as pd
    import numpy as np
    rng = np.random.default_rng(seed)
    topics = list(_TOPICS)
    rows = []
    for i in range(n):
        topic = topics[i % len(topics)]
        length = int(rng.integers(6, 22))
        words = []
        for _ in range(length):
            r = rng.random()
            if r < 0.38:
                words.append(rng.choice(_TOPICS[topic]))
            elif r < 0.55:
                words.append(rng.choice(_TOPICS[rng.choice(topics)]))
            else:
                words.append(rng.choice(_COMMON))
        text = " ".join(words).capitalize() + rng.choice([".", "!", "?", "..."])
        rows.append({"id": i + 1, "text": text, "topic": topic})
    df = pd.DataFrame(rows)
    df.loc[rng.random(n) < 0.01, "text"] = np.nan  # a few empty snippets, as in real exports
    return df.sample(frac=1.0, random_state=seed).reset_index(drop=True)


SAMPLES: dict[str, Sample] = {s.key: s for s in (
    Sample("iris", "Iris flowers", "species", "150 flowers, 4 measurements, 3 species "
           "(multiclass).", _sk("iris", "species")),
    Sample("churn", "Customer churn (generated)", "churned", "1,200 customers with categories, "
           "a date and missing values; who leaves? (binary).", churn),
    Sample("breast_cancer", "Breast cancer", "diagnosis", "569 tumours, 30 measurements, "
           "malignant or benign (binary).", _sk("breast_cancer", "diagnosis")),
    Sample("wine", "Wine", "cultivar", "178 wines, 13 chemical measurements, 3 cultivars "
           "(multiclass).", _sk("wine", "cultivar")),
    Sample("diabetes", "Diabetes progression", "target", "442 patients, 10 measurements; "
           "disease progression after a year (regression).", _sk("diabetes")),
    Sample("tips", "Restaurant tips", "tip", "244 restaurant bills with day, time, smoker; "
           "predict the tip (regression).", _px("tips")),
    Sample("gapminder", "Gapminder", "lifeExp", "1,704 country-years; predict life "
           "expectancy (regression).", _px("gapminder")),
    Sample("digits", "Handwritten digits (images)", "digit", "1,797 handwritten digits as 8×8 "
           "grey pictures: 64 pixel columns; which digit is it? (images, 10 classes).", digits,
           image_shape=(8, 8, 1)),
    Sample("store_sales", "Store sales (time series)", "sales", "Two years of daily sales in 3 "
           "stores with weekly and yearly cycles, promotions and temperature; forecast "
           "tomorrow's sales (time series, generated).", store_sales,
           sequence={"time": "date", "group": "store", "window": 14, "horizon": 1}),
    Sample("news", "News snippets (text)", "topic", "2,400 short generated news snippets in "
           "four topics; which topic is it? (text classification).", news_headlines,
           text={"max_tokens": 2000, "sequence_length": 24}),
)}
