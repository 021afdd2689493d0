"""Extension objects, created unbound; `create_app` binds them in a fixed order."""

from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from shopapp.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Short-lived answers that are the same for everyone (public catalog API); see shopapp/core/cache.py.
cache = Cache()
limiter = Limiter(key_func=get_remote_address, default_limits=[])
