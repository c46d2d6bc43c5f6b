"""The baseline of the catalogue benchmark: the framework alone, no database.

A constant list of 20 objects through a pydantic response model, served by the same uvicorn
settings as `cma serve`: whatever the catalogue costs above this is ours.
"""

from fastapi import FastAPI
from pydantic import BaseModel


class Item(BaseModel):
    code: str
    title: str
    level: str
    weekday: int
    seats: int


ITEMS = [
    Item(code=f"LE{n:04d}", title=f"Anglais — niveau {n}", level="debutant", weekday=2, seats=20)
    for n in range(20)
]

app = FastAPI()


@app.get("/items")
async def items() -> list[Item]:
    return ITEMS
